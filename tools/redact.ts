// make logs' last step: no secret of the stack leaves in the archive. Which
// values are secret comes from the stack's file (the leaves Pulumi keeps as
// `secure:`), their plain values from `pulumi config --show-secrets --json`.
// Each is looked for as it is and in the forms a log could hold it (a proxy
// URL's password alone, a registry login as docker's base64 "auth", the
// lines of a PEM key); every hit is replaced and named.
//   redact.ts SECRETS.json STACK FOLDER
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { stackFile } from "./stack";

interface ConfigEntry {
    value?: string;
    objectValue?: unknown;
    secret: boolean;
}

export interface SecretForm {
    /** The setting and path it comes from, as the replacement names it. */
    name: string;
    value: string;
}

/** Below this length a value would match ordinary text; such a secret is reported, not replaced. */
export const MIN_LENGTH = 4;

type Tree = { [key: string]: unknown };
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null;

/** The paths of the `secure:` leaves in a stack file's config. */
export function securePaths(config: Tree, prefix: string[] = []): string[][] {
    return Object.entries(config).flatMap(([k, v]) => {
        if (!isTree(v)) return [];
        if (typeof v.secure === "string") return [[...prefix, k]];
        return securePaths(v, [...prefix, k]);
    });
}

/** Every form to look for, for the secure leaves of the stack file. */
export function secretForms(shown: Record<string, ConfigEntry>, stackFile: Tree): SecretForm[] {
    const config = isTree(stackFile.config) ? stackFile.config : {};
    const forms: SecretForm[] = [];
    for (const [key, ...rest] of securePaths(config)) {
        const entry = shown[key];
        if (!entry) continue;
        let parent: unknown;
        let node: unknown = rest.length ? entry.objectValue : entry.value;
        for (const k of rest) {
            parent = node;
            node = isTree(node) ? node[k] : undefined;
        }
        if (typeof node !== "string" || node === "") continue;
        const name = [key, ...rest].join(".");
        forms.push({ name, value: node });
        forms.push(...derived(name, node, rest[rest.length - 1], parent));
    }
    return forms;
}

function derived(name: string, value: string, leaf: string | undefined, parent: unknown): SecretForm[] {
    const out: SecretForm[] = [];
    // A proxy or registry URL with a password: the password alone, as typed and as encoded.
    try {
        const u = new URL(value);
        if (u.password) {
            out.push({ name: `${name} (its password)`, value: decodeURIComponent(u.password) });
            out.push({ name: `${name} (its password)`, value: u.password });
        }
    } catch { /* not a URL */ }
    // A registry login: docker's config.json keeps "auth" as base64(user:password).
    if (leaf === "password" && isTree(parent) && typeof parent.username === "string") {
        out.push({ name: `${name} (as a docker auth)`, value: Buffer.from(`${parent.username}:${value}`).toString("base64") });
    }
    // TLS material: each long line of a PEM body.
    if (value.includes("-----BEGIN")) {
        for (const line of value.split("\n").map((l) => l.trim())) {
            if (line.length >= 16 && !line.startsWith("-----")) out.push({ name: `${name} (a line of it)`, value: line });
        }
    }
    return out;
}

/** TEXT with every form replaced, and the names of the forms found. */
export function redact(text: string, forms: SecretForm[]): { text: string; found: string[] } {
    const found: string[] = [];
    // Longest first, so a URL is replaced whole before its password alone.
    for (const f of [...forms].sort((a, b) => b.value.length - a.value.length)) {
        if (f.value.length < MIN_LENGTH || !text.includes(f.value)) continue;
        text = text.split(f.value).join(`[redacted: ${f.name}]`);
        found.push(f.name);
    }
    return { text, found };
}

function files(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => e.isDirectory() ? files(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []);
}

function main(): void {
    const [secretsFile, stackName, dir] = process.argv.slice(2);
    const shown = JSON.parse(fs.readFileSync(secretsFile, "utf8")) as Record<string, ConfigEntry>;
    const file = stackFile(stackName);
    if (!fs.existsSync(file)) {
        console.log(`ERROR: no stack file ${file}: which settings are secret cannot be known, so no archive is made`);
        process.exit(1);
    }
    const stack = yaml.load(fs.readFileSync(file, "utf8"));
    const forms = secretForms(shown, isTree(stack) ? stack : {});
    for (const f of forms.filter((f) => f.value.length < MIN_LENGTH)) {
        console.log(`WARNING: ${f.name} is shorter than ${MIN_LENGTH} characters: not looked for (it would match ordinary text)`);
    }
    let hits = 0;
    for (const file of files(dir)) {
        // latin1 keeps every byte as it is, text or not; the secrets are looked for as their UTF-8 bytes.
        const latin = (s: string) => Buffer.from(s, "utf8").toString("latin1");
        const r = redact(fs.readFileSync(file, "latin1"), forms.map((f) => ({ name: f.name, value: latin(f.value) })));
        if (!r.found.length) continue;
        fs.writeFileSync(file, r.text, "latin1");
        hits++;
        console.log(`redacted in ${path.relative(dir, file)}: ${r.found.join(", ")}`);
    }
    const names = [...new Set(forms.map((f) => f.name.split(" (")[0]))];
    console.log(`secrets looked for: ${names.length ? names.join(", ") : "none (the stack has no secret setting)"}; files with a hit: ${hits}`);
}

if (require.main === module) main();
