// Host-side commands that talk to the stack's engine: one of scripts/ run in
// the wrapper with docker exec, or any docker command line.
import * as pulumi from "@pulumi/pulumi";
import { Providers } from "./providers";
import { HostCommand } from "./providers/specs";
import { EngineRef, engineEnv } from "./engine";

export interface ExecArgs {
    providers: Providers;
    container: string;
    script: string;
    engine: EngineRef;
    /** The command runs again (is replaced) when any of these change. */
    triggers: pulumi.Input<unknown>[];
    /** Variables of the host command; a secret value stays secret in state. */
    environment?: Record<string, pulumi.Input<string>>;
    /** Variables of `environment` piped, one after the other, into the script's stdin, so secrets never go on a command line. */
    stdinFrom?: string[];
    /** A change of `environment` runs the script again in place, not as a replacement. */
    inPlace?: boolean;
}

export function execInWrapper(name: string, args: ExecArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const exec = args.stdinFrom
        ? `printf '%s\\n' ${args.stdinFrom.map((v) => `"$${v}"`).join(" ")} | docker exec -i ${args.container} ${args.script}`
        : `docker exec ${args.container} ${args.script}`;
    return args.providers.command(name, {
        create: exec,
        update: args.inPlace ? exec : undefined,
        environment: { ...args.environment, ...engineEnv(args.engine) },
        triggers: args.triggers,
    }, opts);
}

export interface EngineCommandArgs {
    providers: Providers;
    /** sh command lines; `docker` in them goes to the engine. */
    create: string;
    update?: string;
    delete?: string;
    engine: EngineRef;
    /** Variables the command lines read, beside the engine's own. */
    environment?: Record<string, string>;
    dir?: string;
    triggers?: pulumi.Input<unknown>[];
}

/** A command run here whose docker calls go to the stack's engine (its host may be another machine). */
export function engineCommand(name: string, args: EngineCommandArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    return args.providers.command(name, {
        create: args.create, update: args.update, delete: args.delete, dir: args.dir,
        environment: { ...args.environment, ...engineEnv(args.engine) },
        triggers: args.triggers,
    }, opts);
}
