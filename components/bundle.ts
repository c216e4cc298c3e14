// The pinned containerd / runc / CNI plugins / nerdctl (+ our patches) / tini
// / BuildKit (unless left out), built for the engine's architecture
// by nerdctl/build.sh and cached by version and architecture outside the checkout. The key is
// computed at preview, so a version change shows up as a new bundle; so does
// an edit in nerdctl/src, whose bundle keeps one folder (dirKey) so that the
// image, which names the folder, is not rebuilt for it. The CNI plugins,
// BuildKit and tini the stack leaves unset are the nerdctl release's own
// pins, which build.sh reads at preview: the build runs with them named, so
// a preview of another nerdctlVersion shows each one it brings.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { StackContext } from "./context";
import { Arch } from "./engine";
import { HostCommand } from "./plugins/specs";
import { BundleVersions, SettingsError, Versions } from "./settings/types";

export class Bundle extends pulumi.ComponentResource {
    /** Names every component's version and the nerdctl tree's content. */
    readonly key: string;
    /** nerdctl/out/<dirKey> holds the bundle; also the image's BUNDLE build argument. */
    readonly dirKey: string;
    /** nerdctl is built from nerdctl/src (make nerdctl-src), not the patch files. */
    readonly fromSource: boolean;
    /** Which nerdctl tree: the release's patch series, the release as released (and why), or nerdctl/src. */
    readonly nerdctlBuild: string;
    /** Every component's version as built: the settings, and the release's pins where they leave one unset. */
    readonly versions: BundleVersions;
    readonly build: HostCommand;

    constructor(name: string, ctx: StackContext, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Bundle", name, {}, opts);
        const { versions, nerdctlPatches, buildkit } = ctx.settings;
        const asked = bundleEnv(versions, nerdctlPatches, buildkit, ctx.engine.arch);
        const script = path.join(ctx.projectRoot, "nerdctl", "build.sh");
        const answer = askBuildScript(script, asked);
        [this.key, this.dirKey] = [answer.key, answer.dirKey];
        this.versions = withPins(versions, answer.pins);
        const environment = { ...asked, ...answer.pins };
        if (!buildkit) delete environment.BUILDKIT_VERSION;
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

/** What build.sh --keys answers: the key, the folder's, and the versions it chose (CNI_PLUGINS_VERSION=..., ...). */
interface BuildAnswer {
    key: string;
    dirKey: string;
    pins: Record<string, string>;
}

/**
 * build.sh --keys, run at preview. Its ERROR (a release the module proxy
 * refuses, naming the setting) fails the preview as a settings problem; its
 * warnings (the proxy could not be asked) become Pulumi warnings.
 */
function askBuildScript(script: string, environment: Record<string, string>): BuildAnswer {
    const r = spawnSync("sh", [script, "--keys"], { env: { ...process.env, ...environment }, encoding: "utf8" });
    const stderr = r.stderr ?? "";
    for (const line of stderr.split("\n").filter((l) => l.includes("WARNING: "))) {
        pulumi.log.warn(line.slice(line.indexOf("WARNING: ") + 9));
    }
    const [key = "", dirKey = "", ...lines] = (r.stdout ?? "").trim().split("\n");
    const pins = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    if (r.status === 0 && key !== "" && dirKey !== "" && PIN_LINE.test(lines.join("\n")) && pins.TINI_VERSION) {
        return { key, dirKey, pins };
    }
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

/** Every line after the two keys: NAME=X.Y.Z. */
const PIN_LINE = /^(?:(?:CNI_PLUGINS|BUILDKIT|TINI)_VERSION=\d+\.\d+\.\d+\n?)+$/;

/** The versions output: the settings with build.sh's answers for what they leave unset. */
export function withPins(v: Versions, pins: Record<string, string>): BundleVersions {
    const out: BundleVersions = { containerd: v.containerd, runc: v.runc, cniPlugins: pins.CNI_PLUGINS_VERSION, nerdctl: v.nerdctl, tini: pins.TINI_VERSION };
    if (pins.BUILDKIT_VERSION) out.buildkit = pins.BUILDKIT_VERSION;
    return out;
}

/**
 * build.sh's variables as the stack sets them ("" leaves a version to the
 * nerdctl release's pin); NDIND_ARCH shows in a preview when the engine's
 * architecture changes.
 */
export function bundleEnv(v: Versions, nerdctlPatches: boolean, buildkit: boolean, arch: Arch): Record<string, string> {
    return {
        NDIND_ARCH: arch,
        CONTAINERD_VERSION: v.containerd,
        RUNC_VERSION: v.runc,
        CNI_PLUGINS_VERSION: v.cniPlugins,
        NERDCTL_VERSION: v.nerdctl,
        NERDCTL_PATCHES: nerdctlPatches ? "applied" : "none",
        NDIND_BUILDKIT: String(buildkit),
        BUILDKIT_VERSION: v.buildkit,
    };
}
