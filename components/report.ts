// Runs scripts/doctor.sh in the wrapper: the host report (kernel, cgroups,
// capabilities, iptables backends, storage filesystem, each kernel feature
// the environment needs), one verdict a line. A FAIL fails the update.
import * as pulumi from "@pulumi/pulumi";
import { execInWrapper } from "./commands";
import { EngineRef } from "./engine";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";

export interface HostReportArgs {
    providers: Providers;
    container: string;
    engine: EngineRef;
    wrapperId: pulumi.Input<string>;
}

export class HostReport extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly text: pulumi.Output<string>;

    constructor(name: string, args: HostReportArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:HostReport", name, {}, opts);
        this.run = execInWrapper(`${name}-run`, {
            providers: args.providers,
            container: args.container,
            script: "/scripts/doctor.sh /var/lib/containerd",
            engine: args.engine,
            triggers: [args.wrapperId],
        }, { parent: this });
        this.text = this.run.stdout;
        this.registerOutputs({ text: this.text });
    }
}
