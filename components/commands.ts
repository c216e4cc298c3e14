// Host-side commands that run one of scripts/ in the wrapper with docker exec.
import * as pulumi from "@pulumi/pulumi";
import { LocalCommand } from "./providers/local-command";

export interface ExecArgs {
    container: string;
    script: string;
    dockerHost?: string;
    /** The command runs again (is replaced) when any of these change. */
    triggers: pulumi.Input<unknown>[];
}

export function execInWrapper(name: string, args: ExecArgs, opts: pulumi.CustomResourceOptions): LocalCommand {
    return new LocalCommand(name, {
        create: `docker exec ${args.container} ${args.script}`,
        environment: dockerEnv(args.dockerHost),
        triggers: args.triggers,
    }, opts);
}

export function dockerEnv(dockerHost: string | undefined): Record<string, string> {
    return dockerHost ? { DOCKER_HOST: dockerHost } : {};
}
