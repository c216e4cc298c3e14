// Each setting is declared once, in components/settings/catalog.ts; the files
// written from it (make settings) must say the same, and the program must
// read every one.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CATALOG, SETTING_NAMES } from "../../components/settings/catalog";
import { withConfigBlock, withReadmeTable } from "../../components/settings/render";
import { parseSettings } from "../../components/settings/validate";
import { NO_CONTEXTS, PROJECT_ROOT, stackDefaults } from "./mocks";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");

describe("the settings catalog", () => {
    it("is what Pulumi.yaml declares, defaults and types included (else: make settings)", () => {
        const file = read("Pulumi.yaml");
        assert.strictEqual(withConfigBlock(file), file, "Pulumi.yaml differs from the catalog: run make settings");
        const config = (yaml.load(file) as { config: Record<string, { type: string; default: unknown }> }).config;
        assert.deepStrictEqual(Object.keys(config), SETTING_NAMES);
        for (const name of SETTING_NAMES) {
            assert.deepStrictEqual(config[name].default, CATALOG[name].default, name);
            assert.strictEqual(config[name].type, CATALOG[name].type, name);
        }
    });

    it("is the README's settings table (else: make settings)", () => {
        const readme = read("README.md");
        assert.strictEqual(withReadmeTable(readme), readme, "README.md's settings table differs from the catalog: run make settings");
        for (const name of SETTING_NAMES) assert.ok(readme.includes(`| \`${name}\` |`), name);
    });

    it("has no setting validation ignores: a wrong type of each is refused, naming it", () => {
        const wrong = (v: unknown) => typeof v === "string" ? 42 : typeof v === "boolean" ? "maybe" : typeof v === "number" ? "x" : "not a list";
        for (const name of SETTING_NAMES) {
            const raw = { ...stackDefaults(), [name]: wrong(CATALOG[name].default) };
            assert.throws(() => parseSettings(raw, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS),
                (e: Error) => e.message.includes(`nerdctl-dind:${name}`), `${name}: a wrong value passed validation`);
        }
    });
});
