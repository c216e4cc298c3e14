// The only place that reads pulumi.Config: every setting of the catalog (an
// older name too, where a stack still has it), then validation, then the
// preflight. A key of the project's namespace the catalog does not know is
// refused with the nearest known name, since Pulumi would ignore it.
import * as pulumi from "@pulumi/pulumi";
import { contextEndpoint } from "../engine";
import { CATALOG, currentName, RawSettings, SETTING_NAMES } from "./catalog";
import { preflight } from "./preflight";
import { Settings, SettingsError } from "./types";
import { parseSettings } from "./validate";

/** Reads this stack's settings; defaults come from Pulumi.yaml, written from the catalog. */
export function loadSettings(projectRoot: string): Settings {
    const project = pulumi.getProject();
    const config = new pulumi.Config();
    const keys = configKeys();
    const set = (name: string) => keys.includes(`${project}:${name}`);
    const read = (name: string, type: string) => type === "string" ? config.get(name) : config.getObject<unknown>(name);
    const raw: RawSettings = { secretKeys: secretKeys() };
    for (const name of SETTING_NAMES) {
        const d = CATALOG[name];
        // Pulumi hands the project's defaults over as if set: the new name counts only with a value of its own.
        const ownValue = set(name) && JSON.stringify(read(name, d.type)) !== JSON.stringify(d.default);
        const old = ("formerly" in d ? d.formerly : []).find((o) => set(o) && !ownValue);
        if (old) {
            pulumi.log.warn(`${project}:${old} is the old name of ${project}:${name}; it is read for now. ` +
                `Rename it: pulumi config set ${name} "$(pulumi config get ${old})" && pulumi config rm ${old}`);
        }
        // Read plain to be checked; secrets are handed on only as pulumi.secret (components/registries.ts).
        raw[name] = read(old ?? name, d.type);
    }
    const unknown = unknownSettings(keys, project);
    let s: Settings;
    try {
        s = parseSettings(raw, project, pulumi.getStack(), projectRoot, { contextEndpoint });
    } catch (e) {
        throw e instanceof SettingsError ? new SettingsError([...unknown, ...e.problems]) : e;
    }
    if (unknown.length > 0) throw new SettingsError(unknown);
    return preflight(s);
}

/** Settings of this project the stack sets but the catalog does not declare: typos, which Pulumi would ignore. */
export function unknownSettings(keys: string[], project: string): string[] {
    const known = (name: string) => (SETTING_NAMES as string[]).includes(name) || currentName(name) !== undefined;
    return keys.filter((k) => k.startsWith(`${project}:`) && !known(k.slice(project.length + 1))).map((k) => {
        const name = k.slice(project.length + 1);
        const near = SETTING_NAMES.map((d) => [d, distance(name.toLowerCase(), d.toLowerCase())] as const)
            .sort((a, b) => a[1] - b[1])[0];
        const hint = near && near[1] <= 3 ? `did you mean ${near[0]}? ` : "";
        return `${k} is not a setting of this project: ${hint}remove it with pulumi config rm ${name} ` +
            `(the settings are in Pulumi.yaml and the README's Settings table)`;
    });
}

/** Edit distance, for the nearest setting to a typo. */
function distance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[b.length];
}

/** The keys of the stack's config as "project:name"; the CLI hands them over as "project:config:name". */
function configKeys(): string[] {
    try {
        const config: unknown = JSON.parse(process.env.PULUMI_CONFIG ?? "{}");
        return config && typeof config === "object" ? Object.keys(config).map((k) => k.replace(/^([^:]+):config:/, "$1:")) : [];
    } catch {
        return [];
    }
}

// The Pulumi CLI names the settings set with --secret in this variable.
function secretKeys(): string[] {
    try {
        const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
        return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
    } catch {
        return [];
    }
}
