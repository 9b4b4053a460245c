namespace Rotation.Cli.Completion;

/// <summary>zsh runs the bash script through its own bashcompinit, so both shells complete from one generator.</summary>
internal static class ZshCompletion
{
    public static string Script(IReadOnlyList<CompletionNode> nodes) =>
        "#compdef rotation\n"
        + "# zsh completion for rotation. Load it with: source <(rotation completion zsh)\n"
        // bashcompinit needs compdef, which only compinit defines; a .zshrc without compinit would fail here.
        + "(( ${+functions[compdef]} )) || { autoload -U +X compinit && compinit -u; }\n"
        + "autoload -U +X bashcompinit && bashcompinit\n"
        + BashCompletion.Script(nodes);
}
