// A Docker image built by the engine's legacy builder (works with every
// engine and client here; BuildKit needs buildx, which the newer docker CLI
// lacks). Rebuilt, as a replacement, when anything it is built from changes;
// an image already labelled with the same content hash is reused unbuilt.
// Served by our plugin (provider/image.go).
import * as pulumi from "@pulumi/pulumi";
import { pluginOptions, token } from "./plugin";
import { EngineRef } from "../engine";

export interface DockerImageInputs extends EngineRef {
    name: string;
    context: string;
    /** What the build reads, relative to the context: only these are sent. */
    contextPaths: string[];
    /** Relative to the context. */
    dockerfile: string;
    /** A secret value (a proxy with credentials) stays secret in state. */
    buildArgs: Record<string, pulumi.Input<string>>;
    /** Hash of everything the build reads; a change means a rebuild. */
    contentHash: string;
}

export class DockerImage extends pulumi.CustomResource {
    declare readonly imageId: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: DockerImageInputs, opts?: pulumi.CustomResourceOptions) {
        super(token("Image"), name, { ...args, imageId: undefined }, pluginOptions(opts));
    }
}
