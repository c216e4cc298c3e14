// What every step of a stack is handed, once, instead of the same five
// values threaded through each constructor (kind's ActionContext, for
// Pulumi): the settings, the plugins that make resources, the engine they
// talk to, and the names every step shares.
import * as pulumi from "@pulumi/pulumi";
import { Settings } from "./settings/types";
import { Engine } from "./engine";
import { containerName, imageName } from "./names";
import { Plugins, pluginsFor } from "./plugins";

export interface StackContext {
    readonly settings: Settings;
    /** Where a step's image, container and commands come from (the seam, components/plugins/). */
    readonly plugins: Plugins;
    /** Every docker call of the stack goes to this engine. */
    readonly engine: Engine;
    /** The wrapper container's name: where `docker exec` runs the scripts. */
    readonly container: string;
    /** The wrapper image's tag. */
    readonly image: string;
    readonly projectRoot: string;
}

/** `parent` owns the explicit docker provider the pulumi plugins use for a remote engine. */
export function stackContext(settings: Settings, parent: pulumi.Resource): StackContext {
    return Object.freeze({
        settings,
        plugins: pluginsFor(settings.plugins, settings.engine.ref, parent),
        engine: settings.engine,
        container: containerName(settings.stack),
        image: imageName(settings.stack),
        projectRoot: settings.projectRoot,
    });
}
