// A command run with sh on the machine running Pulumi: `create` when the
// resource is made (and again, as a replacement, when a trigger changes),
// `update` for other changes if given, `delete` on destroy. Served by our
// plugin (provider/command.go).
import * as pulumi from "@pulumi/pulumi";
import { pluginOptions, token } from "./plugin";

export interface LocalCommandInputs {
    create: string;
    update?: string;
    delete?: string;
    dir?: string;
    /** A secret value stays secret alone, so a diff still shows the others. */
    environment?: Record<string, pulumi.Input<string>>;
    /** Values whose change re-runs `create` as a replacement. */
    triggers?: unknown[];
}

export class LocalCommand extends pulumi.CustomResource {
    declare readonly stdout: pulumi.Output<string>;
    declare readonly stderr: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof LocalCommandInputs]: pulumi.Input<LocalCommandInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(token("Command"), name, { ...args, stdout: undefined, stderr: undefined },
            pluginOptions(opts));
    }
}
