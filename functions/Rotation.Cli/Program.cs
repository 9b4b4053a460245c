using Rotation.Cli;

return await CliApp.RunAsync(args, CliContext.FromProcess());
