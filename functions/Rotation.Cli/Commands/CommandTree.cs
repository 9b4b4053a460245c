using System.CommandLine;
using Rotation.Cli.Parsing;

namespace Rotation.Cli.Commands;

/// <summary>The whole `rotation` command line.</summary>
internal static class CommandTree
{
    public static RootCommand Create(CliContext context)
    {
        var home = CliOptions.Home();
        return new RootCommand("Rotation: rotate the root and intermediate CAs behind internal mTLS without a failed handshake")
        {
            home,
            AdapterOptions.Vault(),
            AdapterOptions.Store(),
            AdapterOptions.Events(),
            InitCommand.Create(context, home),
            AdoptCommand.Create(context, home),
            InventoryCommand.Create(context, home),
            ScanCommand.Create(context, home),
            MetricsCommand.Create(context, home),
            EventsCommand.Create(context, home),
            ExportCommand.Create(context, home),
            IssueLeafCommand.Create(context, home),
            LeafCommand.Create(context, home),
            VerifyCommand.Create(context),
            RotateCommand.Create(context, home),
            StatusCommand.Create(context, home),
            ClusterCommand.Create(context, home),
            ApproveCommand.Create(context, home),
            AbortCommand.Create(context, home),
            ResumeCommand.Create(context, home),
            DrillCommand.Create(context),
            CompletionCommand.Create(context),
        };
    }
}
