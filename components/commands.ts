// Host-side commands that run one of scripts/ in the wrapper with docker exec.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { dockerEnv } from "./names";

export interface ExecArgs {
    container: string;
    script: string;
    dockerHost?: string;
    /** The command runs again (is replaced) when any of these change. */
    triggers: pulumi.Input<unknown>[];
}

export function execInWrapper(name: string, args: ExecArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(name, {
        create: `docker exec ${args.container} ${args.script}`,
        environment: dockerEnv(args.dockerHost),
        triggers: args.triggers,
    }, opts);
}
