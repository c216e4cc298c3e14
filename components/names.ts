// Everything a stack creates is named after the stack, so per-developer
// stacks (dev-ann, dev-bob) live side by side on one Docker host.
export function containerName(stack: string): string {
    return `nerdctl-dind-${stack}`;
}

export function imageName(stack: string): string {
    return `nerdctl-dind:${stack.toLowerCase()}`;
}

/** The Docker network the shared local registry and the wrappers that use it join (toolchain/local-registry.sh). */
export const SHARED_NETWORK = "nerdctl-dind";
