using Rotation.Cli;

using var signals = TerminationSignals.Listen();
return await CliApp.RunAsync(args, CliContext.FromProcess(), signals);
