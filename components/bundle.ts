// The pinned containerd / runc / CNI plugins / nerdctl (+ our patches) / tini
// / BuildKit (unless left out), built for the engine's architecture
// by nerdctl/build.sh and cached by version and architecture outside the checkout. The key is
// computed at preview, so a version change shows up as a new bundle; so does
// an edit in nerdctl/src, whose bundle keeps one folder (dirKey) so that the
// image, which names the folder, is not rebuilt for it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { StackContext } from "./context";
import { Arch } from "./engine";
import { HostCommand } from "./plugins/specs";
import { SettingsError, Versions } from "./settings/types";

export class Bundle extends pulumi.ComponentResource {
    /** Names every component's version and the nerdctl tree's content. */
    readonly key: string;
    /** nerdctl/out/<dirKey> holds the bundle; also the image's BUNDLE build argument. */
    readonly dirKey: string;
    /** nerdctl is built from nerdctl/src (make nerdctl-src), not the patch files. */
    readonly fromSource: boolean;
    /** Which nerdctl tree: the release's patch series, the release as released (and why), or nerdctl/src. */
    readonly nerdctlBuild: string;
    readonly build: HostCommand;

    constructor(name: string, ctx: StackContext, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Bundle", name, {}, opts);
        const { versions, nerdctlPatches, buildkit } = ctx.settings;
        const environment = bundleEnv(versions, nerdctlPatches, buildkit, ctx.engine.arch);
        const script = path.join(ctx.projectRoot, "nerdctl", "build.sh");
        [this.key, this.dirKey] = askBuildScript(script, environment);
        this.fromSource = this.key !== this.dirKey;
        this.nerdctlBuild = describeNerdctl(ctx.projectRoot, versions.nerdctl, nerdctlPatches, this.key, this.fromSource);
        this.build = ctx.plugins.command(`${name}-build`, {
            create: "sh nerdctl/build.sh",
            dir: ctx.projectRoot,
            environment,
            triggers: [this.key],
        }, { parent: this });
        this.registerOutputs({ key: this.key, dirKey: this.dirKey, nerdctlBuild: this.nerdctlBuild });
    }
}

/**
 * build.sh --keys (the key, then the folder's), run at preview. Its ERROR (a
 * release the module proxy refuses, naming the setting) fails the preview as
 * a settings problem; its warnings (the proxy could not be asked) become
 * Pulumi warnings.
 */
function askBuildScript(script: string, environment: Record<string, string>): [string, string] {
    const r = spawnSync("sh", [script, "--keys"], { env: { ...process.env, ...environment }, encoding: "utf8" });
    const stderr = r.stderr ?? "";
    for (const line of stderr.split("\n").filter((l) => l.includes("WARNING: "))) {
        pulumi.log.warn(line.slice(line.indexOf("WARNING: ") + 9));
    }
    const keys = (r.stdout ?? "").trim().split("\n");
    if (r.status === 0 && keys.length === 2 && keys.every((k) => k !== "")) return [keys[0], keys[1]];
    const at = stderr.indexOf("ERROR: ");
    const why = at >= 0 ? stderr.slice(at + 7).trim() : `${stderr.trim() || r.error?.message || ""} (exit ${r.status})`;
    throw new SettingsError([`nerdctl/build.sh --keys: ${why}`]);
}

/** For the nerdctlBuild output: which nerdctl tree the bundle holds. */
export function describeNerdctl(root: string, version: string, patches: boolean, key: string, fromSource: boolean): string {
    const tag = key.slice(key.indexOf(`_nerdctl-${version}-`) + `_nerdctl-${version}-`.length).split("_")[0];
    if (fromSource) return `nerdctl ${version} from nerdctl/src (${tag})`;
    if (!patches) return `nerdctl ${version} as released (nerdctlPatches is false)`;
    const dir = path.join("nerdctl", "patches", version);
    const series = fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".patch")).sort() : [];
    if (series.length === 0) return `nerdctl ${version} as released: there is no patch series for ${version} (${dir}/)`;
    return `nerdctl ${version} with our patch series ${dir}/ (${tag}): ${series.join(", ")}`;
}

/** build.sh's variables; NDIND_ARCH shows in a preview when the engine's architecture changes. */
export function bundleEnv(v: Versions, nerdctlPatches: boolean, buildkit: boolean, arch: Arch): Record<string, string> {
    return {
        NDIND_ARCH: arch,
        CONTAINERD_VERSION: v.containerd,
        RUNC_VERSION: v.runc,
        CNI_PLUGINS_VERSION: v.cniPlugins,
        NERDCTL_VERSION: v.nerdctl,
        NERDCTL_PATCHES: nerdctlPatches ? "applied" : "none",
        NDIND_BUILDKIT: String(buildkit),
    };
}
