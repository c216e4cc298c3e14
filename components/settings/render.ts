// Pulumi.yaml's config block and the README's settings table, written from
// the catalog: `make settings` puts them in place, tests/unit/settings-catalog
// fails when the committed files differ from what this writes.
import { CATALOG, Declaration, SETTING_NAMES } from "./catalog";

const README_BEGIN = "<!-- settings:begin (written by make settings from components/settings/catalog.ts) -->";
const README_END = "<!-- settings:end -->";

function declaration(name: string): Declaration {
    return CATALOG[name as keyof typeof CATALOG];
}

/** The `config:` block, to the end of Pulumi.yaml. JSON strings and values are valid YAML. */
export function pulumiYamlConfig(): string {
    const lines = ["config:"];
    for (const name of SETTING_NAMES) {
        const d = declaration(name);
        lines.push(`  ${name}:`, `    type: ${d.type}`);
        if (d.type === "array") lines.push("    items:", "      type: string");
        // Plain where YAML allows, as shell scripts read some defaults with awk (toolchain/lib.sh pulumi_default).
        const plain = typeof d.default === "string" && /^[A-Za-z0-9][A-Za-z0-9._:\/-]*$/.test(d.default);
        lines.push(`    default: ${plain ? d.default : JSON.stringify(d.default)}`, `    description: ${JSON.stringify(d.description)}`);
    }
    return `${lines.join("\n")}\n`;
}

/** Pulumi.yaml with its config block replaced. */
export function withConfigBlock(pulumiYaml: string): string {
    const at = pulumiYaml.search(/^config:[ \t]*$/m);
    if (at < 0) throw new Error("Pulumi.yaml has no top-level config: block");
    return pulumiYaml.slice(0, at) + pulumiYamlConfig();
}

export function readmeTable(): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    const rows = SETTING_NAMES.map((name) => {
        const d = declaration(name);
        const value = typeof d.default === "string" && d.default !== "" ? d.default : JSON.stringify(d.default);
        const shown = d.shownDefault ?? `\`${value}\``;
        const formerly = d.formerly ? ` (formerly ${d.formerly.map((f) => `\`${f}\``).join(", ")}, still read)` : "";
        return `| \`${name}\` | ${cell(shown)} | ${cell(d.description)}${formerly} |`;
    });
    return [README_BEGIN, "| setting | default | meaning |", "|---|---|---|", ...rows, README_END].join("\n");
}

/** The README with the table between its markers replaced. */
export function withReadmeTable(readme: string): string {
    const begin = readme.indexOf("<!-- settings:begin");
    const end = readme.indexOf(README_END);
    if (begin < 0 || end < begin) throw new Error(`README.md has no settings markers (<!-- settings:begin ... --> and ${README_END})`);
    return readme.slice(0, begin) + readmeTable() + readme.slice(end + README_END.length);
}
