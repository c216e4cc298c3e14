// A Docker image built by the engine's legacy builder (works with every
// engine and client here; BuildKit needs buildx, which the newer docker CLI
// lacks). Rebuilt, as a replacement, when anything it is built from changes.
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { changedKeys, dockerEnv, runOrThrow } from "./run";

export interface DockerImageInputs {
    name: string;
    context: string;
    dockerfile: string;
    buildArgs: Record<string, string>;
    /** Hash of everything the build reads; a change means a rebuild. */
    contentHash: string;
    dockerHost?: string;
}

interface DockerImageState extends DockerImageInputs {
    imageId: string;
}

const KEYS: (keyof DockerImageInputs)[] = ["name", "context", "dockerfile", "buildArgs", "contentHash", "dockerHost"];

const provider: pulumi.dynamic.ResourceProvider<DockerImageInputs, DockerImageState> = {
    async diff(_id, olds, news) {
        const replaces = changedKeys(olds, news, KEYS);
        return { changes: replaces.length > 0, replaces };
    },
    async create(inputs) {
        const env = { ...dockerEnv(inputs.dockerHost), DOCKER_BUILDKIT: "0" };
        const args = ["build", "-q", "-f", inputs.dockerfile, "-t", inputs.name];
        for (const [k, v] of Object.entries(inputs.buildArgs)) args.push("--build-arg", `${k}=${v}`);
        runOrThrow("docker", [...args, inputs.context], { env });
        const imageId = runOrThrow("docker", ["image", "inspect", "-f", "{{.Id}}", inputs.name], { env }).stdout.trim();
        return { id: imageId, outs: { ...inputs, imageId } };
    },
    async read(id, props) {
        const r = spawnSync("docker", ["image", "inspect", id], { env: { ...process.env, ...dockerEnv(props?.dockerHost) } });
        return r.status === 0 ? { id, props } : {};
    },
    // The image stays as build cache: a later `up` rebuilds in seconds.
    async delete() { /* kept on purpose */ },
};

export class DockerImage extends pulumi.dynamic.Resource {
    declare readonly imageId: pulumi.Output<string>;
    declare readonly name: pulumi.Output<string>;

    constructor(name: string, args: DockerImageInputs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, imageId: undefined }, opts, "docker", "Image");
    }
}
