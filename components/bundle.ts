// The pinned containerd / runc / CNI plugins / nerdctl (+ our patches), built
// by nerdctl/build.sh and cached by version outside the checkout. The key is
// computed at preview, so a version change shows up as a new bundle.
import { execFileSync } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalCommand } from "./providers/local-command";
import { Versions } from "./config";

export interface BundleArgs {
    projectRoot: string;
    versions: Versions;
    nerdctlPatches: boolean;
}

export class Bundle extends pulumi.ComponentResource {
    /** nerdctl/out/<key> holds the bundle; also the image's BUNDLE build argument. */
    readonly key: string;
    readonly build: LocalCommand;

    constructor(name: string, args: BundleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Bundle", name, {}, opts);
        const environment = bundleEnv(args.versions, args.nerdctlPatches);
        const script = path.join(args.projectRoot, "nerdctl", "build.sh");
        this.key = execFileSync("sh", [script, "--key"], {
            env: { ...process.env, ...environment }, encoding: "utf8",
        }).trim();
        this.build = new LocalCommand(`${name}-build`, {
            create: "sh nerdctl/build.sh",
            dir: args.projectRoot,
            environment,
            triggers: [this.key],
        }, { parent: this });
        this.registerOutputs({ key: this.key });
    }
}

export function bundleEnv(v: Versions, nerdctlPatches: boolean): Record<string, string> {
    return {
        CONTAINERD_VERSION: v.containerd,
        RUNC_VERSION: v.runc,
        CNI_PLUGINS_VERSION: v.cniPlugins,
        NERDCTL_VERSION: v.nerdctl,
        NERDCTL_PATCHES: nerdctlPatches ? "applied" : "none",
    };
}
