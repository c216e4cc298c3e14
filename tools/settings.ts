// make settings: writes Pulumi.yaml's config block and the README's settings
// table from components/settings/catalog.ts, and says which changed.
import * as fs from "fs";
import * as path from "path";
import { withConfigBlock, withReadmeTable } from "../components/settings/render";

const root = path.resolve(__dirname, "..");
for (const [file, write] of [["Pulumi.yaml", withConfigBlock], ["README.md", withReadmeTable]] as const) {
    const full = path.join(root, file);
    const before = fs.readFileSync(full, "utf8");
    const after = write(before);
    if (after === before) {
        console.log(`${file}: up to date`);
    } else {
        fs.writeFileSync(full, after);
        console.log(`${file}: settings written from components/settings/catalog.ts`);
    }
}
