using Spectre.Console;

namespace Rotation.Cli.Output;

/// <summary>Spectre consoles over the context's writer: colour on a terminal, plain text when redirected or under test.</summary>
public static class Consoles
{
    // Redirected output has no terminal width: a width no table reaches keeps every row on one line for grep and diff.
    private const int RedirectedWidth = 4096;

    public static IAnsiConsole For(CliContext context)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Output),
            Ansi = context.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = context.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!context.OutputIsTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }
        else if (context.TerminalWidth is { } width)
        {
            console.Profile.Width = width;
        }

        return console;
    }

    /// <summary>
    /// Progress on stderr, for commands whose stdout is JSON: plain lines, no colour and no carriage-return animation,
    /// so it reads the same in a terminal, a CI log or a file.
    /// </summary>
    public static IAnsiConsole ForProgress(CliContext context)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Error),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = RedirectedWidth;
        return console;
    }
}
