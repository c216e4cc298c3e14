// Implementation `ndind`: our own plugin (provider/, Go), package `ndind`,
// which drives the docker CLI and sh. toolchain/provider.sh builds and
// installs it at the version in provider/VERSION, which every resource asks
// for. Its inputs are the specs themselves, plus the engine's fields.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { EngineRef } from "../engine";
import { CommandSpec, ContainerSpec, ImageSpec } from "./specs";
import { TWIN_TYPES, withTwin } from "./twins";
import type { Plugins } from "./index";

export const PLUGIN_VERSION = fs.readFileSync(path.join(__dirname, "..", "..", "provider", "VERSION"), "utf8").trim();

type Inputs = Record<string, pulumi.Input<unknown>>;

class NdindImage extends pulumi.CustomResource {
    declare readonly imageName: pulumi.Output<string>;
    declare readonly imageId: pulumi.Output<string>;
}

class NdindContainer extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;
}

class NdindCommand extends pulumi.CustomResource {
    declare readonly stdout: pulumi.Output<string>;
    declare readonly stderr: pulumi.Output<string>;
}

export function ndindPlugins(engine: EngineRef): Plugins {
    const options = (kind: "image" | "container" | "command", opts: pulumi.CustomResourceOptions) =>
        ({ ...withTwin(kind, "ndind", opts), version: PLUGIN_VERSION });
    return {
        image(name: string, spec: ImageSpec, opts: pulumi.CustomResourceOptions) {
            const { imageName, ...rest } = spec;
            const inputs: Inputs = { ...rest, name: imageName, ...engine, imageId: undefined, imageName: undefined };
            const r = new NdindImage(TWIN_TYPES.image.ndind, name, inputs, options("image", opts));
            return { resource: r, imageName: r.imageName, imageId: r.imageId };
        },
        container(name: string, spec: ContainerSpec, opts: pulumi.CustomResourceOptions) {
            const r = new NdindContainer(TWIN_TYPES.container.ndind, name, { ...spec, ...engine } as Inputs,
                { ...options("container", opts), deleteBeforeReplace: true });
            return { resource: r, name: r.name, id: r.id };
        },
        command(name: string, spec: CommandSpec, opts: pulumi.CustomResourceOptions) {
            const r = new NdindCommand(TWIN_TYPES.command.ndind, name, { ...spec, stdout: undefined, stderr: undefined } as Inputs,
                options("command", opts));
            return { resource: r, stdout: r.stdout, stderr: r.stderr };
        },
    };
}
