// Runs scripts/prepare.sh in the wrapper: waits for containerd by probing it,
// loads the preload tarballs that are not stored yet, and reports. On a
// remote engine the tarballs are streamed from here over the engine
// connection (components/host/prepare-remote.sh), not bind-mounted.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";
import { engineCommand, execInWrapper } from "./commands";
import { Engine } from "./engine";

export interface PrepareArgs {
    providers: Providers;
    container: string;
    engine: Engine;
    wrapperId: pulumi.Input<string>;
    preload: string[];
    projectRoot: string;
}

export class Prepare extends pulumi.ComponentResource {
    readonly run: HostCommand;
    /** prepare.sh's own report: what it found, loaded and skipped. */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: PrepareArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Prepare", name, {}, opts);
        const triggers = [args.wrapperId, ...args.preload];
        this.run = args.engine.remote
            ? engineCommand(`${name}-run`, {
                providers: args.providers,
                create: ["sh", path.join("components", "host", "prepare-remote.sh"), args.container, ...args.preload].map(quote).join(" "),
                dir: args.projectRoot,
                engine: args.engine.ref,
                environment: { ENGINE_NAME: args.engine.name },
                triggers,
            }, { parent: this })
            : execInWrapper(`${name}-run`, {
                providers: args.providers,
                container: args.container,
                script: "/scripts/prepare.sh",
                engine: args.engine.ref,
                triggers,
            }, { parent: this });
        this.report = this.run.stdout;
        this.registerOutputs({ report: this.report });
    }
}

/** One sh word, whatever the text. */
export function quote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}
