// Runs scripts/prepare.sh in the wrapper: waits for containerd by probing it,
// loads the preload tarballs that are not stored yet, and reports. On a
// remote engine the tarballs are streamed from here over the engine
// connection (components/host/prepare-remote.sh), not bind-mounted.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "./plugins/specs";
import { engineCommand, execInWrapper, quote } from "./commands";
import { StackContext } from "./context";

export class Prepare extends pulumi.ComponentResource {
    readonly run: HostCommand;
    /** prepare.sh's own report: what it found, loaded and skipped. */
    readonly report: pulumi.Output<string>;

    constructor(name: string, ctx: StackContext, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Prepare", name, {}, opts);
        const { preload } = ctx.settings;
        const triggers = [wrapperId, ...preload];
        this.run = ctx.engine.remote
            ? engineCommand(ctx, `${name}-run`, {
                create: ["sh", path.join("components", "host", "prepare-remote.sh"), ctx.container, ...preload].map(quote).join(" "),
                inProjectRoot: true,
                environment: { ENGINE_NAME: ctx.engine.name },
                triggers,
            }, { parent: this })
            : execInWrapper(ctx, `${name}-run`, { script: "/scripts/prepare.sh", triggers }, { parent: this });
        this.report = this.run.stdout;
        this.registerOutputs({ report: this.report });
    }
}
