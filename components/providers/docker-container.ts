// A Docker container started with `docker run -d`. Any change replaces it
// (its name is fixed, so the old one goes first); a refresh notices a
// container removed behind Pulumi's back, so the next `up` recreates it.
import * as pulumi from "@pulumi/pulumi";
import { changedKeys, dockerEnv, runOrThrow, succeeds } from "./run";

export interface DockerContainerInputs {
    name: string;
    image: string;
    /** `docker run` options, in order. */
    options: string[];
    dockerHost?: string;
}

const KEYS: (keyof DockerContainerInputs)[] = ["name", "image", "options", "dockerHost"];

const provider: pulumi.dynamic.ResourceProvider<DockerContainerInputs, DockerContainerInputs> = {
    async diff(_id, olds, news) {
        const replaces = changedKeys(olds, news, KEYS);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs) {
        const env = dockerEnv(inputs.dockerHost);
        const ran = await runOrThrow("docker", ["run", "-d", "--name", inputs.name, ...inputs.options, inputs.image], { env });
        const id = ran.stdout.trim();
        return { id, outs: inputs };
    },
    async read(id, props) {
        return await succeeds("docker", ["container", "inspect", id], dockerEnv(props?.dockerHost)) ? { id, props } : {};
    },
    async delete(id, props) {
        const env = dockerEnv(props.dockerHost);
        if (await succeeds("docker", ["container", "inspect", id], env)) await runOrThrow("docker", ["rm", "-f", id], { env });
    },
};

export class DockerContainer extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: pulumi.Unwrap<DockerContainerInputs> | DockerContainerInputsInput, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, args, opts, "docker", "Container");
    }
}

export type DockerContainerInputsInput = { [K in keyof DockerContainerInputs]: pulumi.Input<DockerContainerInputs[K]> };
