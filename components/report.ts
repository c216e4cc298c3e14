// Runs scripts/doctor.sh in the wrapper: the host report (kernel, cgroups,
// capabilities, iptables backends, storage filesystem, each kernel feature
// the environment needs), one verdict a line. A FAIL fails the update.
import * as pulumi from "@pulumi/pulumi";
import { execInWrapper } from "./commands";
import { StackContext } from "./context";
import { HostCommand } from "./plugins/specs";

export class HostReport extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly text: pulumi.Output<string>;

    constructor(name: string, ctx: StackContext, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:HostReport", name, {}, opts);
        this.run = execInWrapper(ctx, `${name}-run`, { script: "/scripts/doctor.sh /var/lib/containerd", triggers: [wrapperId] }, { parent: this });
        this.text = this.run.stdout;
        this.registerOutputs({ text: this.text });
    }
}
