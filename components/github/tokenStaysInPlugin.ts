/**
 * Keeps the GitHub token out of the Pulumi program, its RPCs and the engine's logs.
 *
 * @pulumi/github's Provider constructor copies `GITHUB_TOKEN` from the program's environment into the provider
 * resource's `token` input when no token is passed (`args.token ?? getEnv("GITHUB_TOKEN")`). The real engine
 * showed where that goes: into the RegisterResource request and response, which the Node.js SDK writes to its
 * debug log, which `pulumi up --event-log` (and `-v` logging) records in plaintext. The provider plugin does
 * not need it there: the engine starts the plugin with the CLI's environment, and the plugin reads
 * `GITHUB_TOKEN` itself (the bridge's default for `github:token`). So the program process drops the variable
 * before any GitHub provider is constructed; only the plugin process, which calls GitHub, has the token.
 */
export function keepGithubTokenInPlugin(env: NodeJS.ProcessEnv = process.env): void {
    delete env.GITHUB_TOKEN;
}
