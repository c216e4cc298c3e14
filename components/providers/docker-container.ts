// A Docker container started with `docker run -d`. Any change replaces it
// (its name is fixed, so the old one goes first); a refresh notices a
// container removed behind Pulumi's back, so the next `up` recreates it.
// Served by our plugin (provider/container.go).
import * as pulumi from "@pulumi/pulumi";
import { pluginOptions, token } from "./plugin";
import { EngineRef } from "../engine";

export interface DockerContainerInputs extends EngineRef {
    name: string;
    image: string;
    /** `docker run` options, in order. */
    options: string[];
}

export class DockerContainer extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: pulumi.Unwrap<DockerContainerInputs> | DockerContainerInputsInput, opts?: pulumi.CustomResourceOptions) {
        super(token("Container"), name, args, pluginOptions(opts));
    }
}

export type DockerContainerInputsInput = { [K in keyof DockerContainerInputs]: pulumi.Input<DockerContainerInputs[K]> };
