// A Docker image built by the engine's legacy builder (works with every
// engine and client here; BuildKit needs buildx, which the newer docker CLI
// lacks). Rebuilt, as a replacement, when anything it is built from changes;
// an image already labelled with the same content hash is reused unbuilt.
import * as pulumi from "@pulumi/pulumi";
import { changedKeys, dockerEnv, runOrThrow, succeeds } from "./run";

export interface DockerImageInputs {
    name: string;
    context: string;
    /** What the build reads, relative to the context: only these are sent. */
    contextPaths: string[];
    /** Relative to the context. */
    dockerfile: string;
    buildArgs: Record<string, string>;
    /** Hash of everything the build reads; a change means a rebuild. */
    contentHash: string;
    dockerHost?: string;
}

interface DockerImageState extends DockerImageInputs {
    imageId: string;
}

const KEYS: (keyof DockerImageInputs)[] = ["name", "context", "contextPaths", "dockerfile", "buildArgs", "contentHash", "dockerHost"];
const LABEL = "nerdctl-dind.content-hash";

const provider: pulumi.dynamic.ResourceProvider<DockerImageInputs, DockerImageState> = {
    async diff(_id, olds, news) {
        const replaces = changedKeys(olds, news, KEYS);
        return { changes: replaces.length > 0, replaces };
    },
    async create(inputs) {
        const env = { ...dockerEnv(inputs.dockerHost), DOCKER_BUILDKIT: "0" };
        const label = await runOrThrow("docker", ["image", "inspect", "-f", `{{index .Config.Labels "${LABEL}"}}`, inputs.name], { env })
            .then((r) => r.stdout.trim(), () => "");
        if (label !== inputs.contentHash) {
            const args = ["-q", "-f", inputs.dockerfile, "-t", inputs.name, "--label", `${LABEL}=${inputs.contentHash}`];
            for (const [k, v] of Object.entries(inputs.buildArgs)) args.push("--build-arg", `${k}=${v}`);
            // The context goes as a tar of just what the build reads, not the whole folder.
            await runOrThrow("sh", ["-c", 'cd "$1" && shift && tar -cf - $PATHS | docker build "$@" -', "sh", inputs.context, ...args],
                { env: { ...env, PATHS: inputs.contextPaths.join(" ") } });
        }
        const imageId = (await runOrThrow("docker", ["image", "inspect", "-f", "{{.Id}}", inputs.name], { env })).stdout.trim();
        return { id: imageId, outs: { ...inputs, imageId } };
    },
    async read(id, props) {
        return await succeeds("docker", ["image", "inspect", id], dockerEnv(props?.dockerHost)) ? { id, props } : {};
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
