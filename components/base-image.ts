// A remote engine may lack the wrapper's base image and have no registry to
// pull it from (the offline nerdctl-dind/base:alpine-3.23 and :bookworm exist
// only where the toolchain made them). Before the build there, the base
// image, whichever it is, is copied from this machine's engine over the
// engine connection (docker save | docker load) when that engine has it for
// the remote one's architecture and the remote one does not. An offline base
// of another architecture than this machine's (an arm64 engine driven from
// here) is made here for it then, and imported there (toolchain/base-image.sh).
import * as pulumi from "@pulumi/pulumi";
import { engineCommand } from "./commands";
import { StackContext } from "./context";
import { HostCommand } from "./plugins/specs";

// `here` is this machine's default engine: no DOCKER_* variable of the stack's.
const COPY = `here() { env -u DOCKER_HOST -u DOCKER_CERT_PATH -u DOCKER_TLS_VERIFY DOCKER_CONTEXT=default docker "$@"; }
arch='{{.Architecture}}'
if [ "$(docker image inspect -f "$arch" "$BASE_IMAGE" 2>/dev/null)" = "$ARCH" ]; then
    echo "base image $BASE_IMAGE: present on $ENGINE_NAME (linux/$ARCH)"
elif [ "$(here image inspect -f "$arch" "$BASE_IMAGE" 2>/dev/null)" = "$ARCH" ]; then
    echo "base image $BASE_IMAGE: copying from this machine's engine to $ENGINE_NAME"
    here save "$BASE_IMAGE" | docker load -q
elif case $BASE_IMAGE in nerdctl-dind/base:*) true ;; *) false ;; esac; then
    echo "base image $BASE_IMAGE: making it for linux/$ARCH here, for $ENGINE_NAME"
    sh toolchain/base-image.sh --base "$BASE_IMAGE" --arch "$ARCH" >&2
else
    echo "base image $BASE_IMAGE: not here for linux/$ARCH; the build on $ENGINE_NAME pulls it"
fi`;

export function copyBaseImage(ctx: StackContext, name: string, opts: pulumi.CustomResourceOptions): HostCommand {
    const { baseImage } = ctx.settings;
    return engineCommand(ctx, name, {
        create: COPY,
        environment: { BASE_IMAGE: baseImage, ENGINE_NAME: ctx.engine.name, ARCH: ctx.engine.arch },
        inProjectRoot: true,
        triggers: [baseImage, ctx.engine.ref, ctx.engine.arch],
    }, opts);
}
