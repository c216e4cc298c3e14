// Everything a stack creates is named after the stack, so per-developer
// stacks (dev-ann, dev-bob) live side by side on one Docker host.
export function containerName(stack: string): string {
    return `nerdctl-dind-${stack}`;
}

export function imageName(stack: string): string {
    return `nerdctl-dind:${stack.toLowerCase()}`;
}
