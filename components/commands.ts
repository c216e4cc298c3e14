// Host-side commands that talk to the stack's engine: one of scripts/ run in
// the wrapper with docker exec, or any docker command line.
import * as pulumi from "@pulumi/pulumi";
import { StackContext } from "./context";
import { HostCommand } from "./plugins/specs";
import { engineEnv } from "./engine";

export interface ExecArgs {
    /** A path in the wrapper, with its arguments. */
    script: string;
    /** The command runs again (is replaced) when any of these change. */
    triggers: pulumi.Input<unknown>[];
    /** Variables of the host command; a secret value stays secret in state. */
    environment?: Record<string, pulumi.Input<string>>;
    /** Variables of `environment` piped, one after the other, into the script's stdin, so secrets never go on a command line. */
    stdinFrom?: string[];
    /** A change of `environment` runs the script again in place, not as a replacement. */
    inPlace?: boolean;
}

/** One of the wrapper's scripts, run with docker exec on the stack's engine. */
export function execInWrapper(ctx: StackContext, name: string, args: ExecArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const exec = args.stdinFrom
        ? `printf '%s\\n' ${args.stdinFrom.map((v) => `"$${v}"`).join(" ")} | docker exec -i ${ctx.container} ${args.script}`
        : `docker exec ${ctx.container} ${args.script}`;
    return ctx.plugins.command(name, {
        create: exec,
        update: args.inPlace ? exec : undefined,
        environment: { ...args.environment, ...engineEnv(ctx.engine.ref) },
        triggers: args.triggers,
    }, opts);
}

export interface EngineCommandArgs {
    /** sh command lines; `docker` in them goes to the engine. */
    create: string;
    update?: string;
    delete?: string;
    /** Variables the command lines read, beside the engine's own. */
    environment?: Record<string, string>;
    /** Run in the project root (for the project's own scripts), else wherever Pulumi runs. */
    inProjectRoot?: boolean;
    triggers?: pulumi.Input<unknown>[];
}

/** A command run here whose docker calls go to the stack's engine (its host may be another machine). */
export function engineCommand(ctx: StackContext, name: string, args: EngineCommandArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    return ctx.plugins.command(name, {
        create: args.create, update: args.update, delete: args.delete,
        dir: args.inProjectRoot ? ctx.projectRoot : undefined,
        environment: { ...args.environment, ...engineEnv(ctx.engine.ref) },
        triggers: args.triggers,
    }, opts);
}

/** One sh word, whatever the text. */
export function quote(word: string): string {
    return /^[A-Za-z0-9_.\/:@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
