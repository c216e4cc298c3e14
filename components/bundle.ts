// The pinned containerd / runc / CNI plugins / nerdctl (+ our patches) / tini
// / BuildKit (unless left out), built
// by nerdctl/build.sh and cached by version outside the checkout. The key is
// computed at preview, so a version change shows up as a new bundle; so does
// an edit in nerdctl/src, whose bundle keeps one folder (dirKey) so that the
// image, which names the folder, is not rebuilt for it.
import { execFileSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";
import { Versions } from "./config";

export interface BundleArgs {
    providers: Providers;
    projectRoot: string;
    versions: Versions;
    nerdctlPatches: boolean;
    buildkit: boolean;
}

export class Bundle extends pulumi.ComponentResource {
    /** Names every component's version and the nerdctl tree's content. */
    readonly key: string;
    /** nerdctl/out/<dirKey> holds the bundle; also the image's BUNDLE build argument. */
    readonly dirKey: string;
    /** nerdctl is built from nerdctl/src (make nerdctl-src), not the patch files. */
    readonly fromSource: boolean;
    readonly build: HostCommand;

    constructor(name: string, args: BundleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Bundle", name, {}, opts);
        const environment = bundleEnv(args.versions, args.nerdctlPatches, args.buildkit);
        const script = path.join(args.projectRoot, "nerdctl", "build.sh");
        const ask = (flag: string) => execFileSync("sh", [script, flag], {
            env: { ...process.env, ...environment }, encoding: "utf8",
        }).trim();
        this.key = ask("--key");
        this.dirKey = ask("--dir-key");
        this.fromSource = this.key !== this.dirKey;
        this.build = args.providers.command(`${name}-build`, {
            create: "sh nerdctl/build.sh",
            dir: args.projectRoot,
            environment,
            triggers: [this.key],
        }, { parent: this });
        this.registerOutputs({ key: this.key, dirKey: this.dirKey });
    }
}

export function bundleEnv(v: Versions, nerdctlPatches: boolean, buildkit: boolean): Record<string, string> {
    return {
        CONTAINERD_VERSION: v.containerd,
        RUNC_VERSION: v.runc,
        CNI_PLUGINS_VERSION: v.cniPlugins,
        NERDCTL_VERSION: v.nerdctl,
        NERDCTL_PATCHES: nerdctlPatches ? "applied" : "none",
        NDIND_BUILDKIT: String(buildkit),
    };
}
