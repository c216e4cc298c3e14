// The seam between the components and the plugins that do the work: the
// components ask for an image, a container or a command by typed spec
// (specs.ts) and never construct provider resources themselves.
import * as pulumi from "@pulumi/pulumi";
import { EngineRef } from "../engine";
import { PluginSet } from "./kinds";
import { BuiltImage, CommandSpec, ContainerSpec, HostCommand, ImageSpec, RunningContainer } from "./specs";
import { ndindPlugins } from "./ndind";
import { pulumiPlugins } from "./pulumi";

export interface Plugins {
    /** Built by the engine's legacy builder. Neither implementation deletes the image (it is build cache), so a new one is made before the old is dropped, and a build that gives the same image ID leaves the wrapper alone. */
    image(name: string, spec: ImageSpec, opts: pulumi.CustomResourceOptions): BuiltImage;
    /** Any change replaces it, the old one removed first (its name is fixed). */
    container(name: string, spec: ContainerSpec, opts: pulumi.CustomResourceOptions): RunningContainer;
    /** Run with sh here; a trigger's change replaces, other changes run `update` (else `create`) in place. */
    command(name: string, spec: CommandSpec, opts: pulumi.CustomResourceOptions): HostCommand;
}

/** The stack's implementation, talking to its engine; `parent` owns the explicit docker provider, if one is needed. */
export function pluginsFor(kind: PluginSet, engine: EngineRef, parent: pulumi.Resource): Plugins {
    return kind === "pulumi" ? pulumiPlugins(engine, parent) : ndindPlugins(engine);
}
