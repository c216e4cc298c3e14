// Runs scripts/prepare.sh in the wrapper: waits for containerd by probing it,
// loads the preload tarballs that are not stored yet, and reports.
import * as pulumi from "@pulumi/pulumi";
import { LocalCommand } from "./providers/local-command";
import { execInWrapper } from "./commands";

export interface PrepareArgs {
    container: string;
    dockerHost?: string;
    wrapperId: pulumi.Input<string>;
    preload: string[];
}

export class Prepare extends pulumi.ComponentResource {
    readonly run: LocalCommand;
    /** prepare.sh's own report: what it found, loaded and skipped. */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: PrepareArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Prepare", name, {}, opts);
        this.run = execInWrapper(`${name}-run`, {
            container: args.container,
            script: "/scripts/prepare.sh",
            dockerHost: args.dockerHost,
            triggers: [args.wrapperId, ...args.preload],
        }, { parent: this });
        this.report = this.run.stdout;
        this.registerOutputs({ report: this.report });
    }
}
