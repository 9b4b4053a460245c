using Microsoft.Extensions.Time.Testing;
using Rotation.Cli.Commands;
using Rotation.Cli.Tests.Support;

namespace Rotation.Cli.Tests;

/// <summary>Every command of the tree has --json and a schema in docs/schemas, except the ones named with a reason.</summary>
public sealed class CommandTreeJsonTests
{
    private static readonly CliContext Context = new(TextWriter.Null, TextWriter.Null, _ => null, new FakeTimeProvider());

    [Fact]
    public void Every_command_has_json_and_a_schema_or_is_a_named_exception()
    {
        var missing = new List<string>();
        foreach (var command in CommandSchemas.Runnable(CommandTree.Create(Context)))
        {
            var name = CommandSchemas.NameOf(command);
            if (CommandSchemas.Exceptions.ContainsKey(name))
            {
                continue;
            }

            if (!CommandOptions.LongNamesAt(command).Contains("--json"))
            {
                missing.Add($"{name}: no --json");
            }

            if (!CommandSchemas.Exists(name))
            {
                missing.Add($"{name}: no docs/schemas/{name}.schema.json");
            }
        }

        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void The_exceptions_are_commands_that_exist_and_have_no_json()
    {
        var commands = CommandSchemas.Runnable(CommandTree.Create(Context)).ToDictionary(CommandSchemas.NameOf);
        foreach (var name in CommandSchemas.Exceptions.Keys)
        {
            Assert.True(commands.TryGetValue(name, out var command), $"exception '{name}' is not a command");
            Assert.DoesNotContain("--json", CommandOptions.LongNamesAt(command));
        }
    }

    [Fact]
    public void Every_schema_is_a_command_or_shared()
    {
        var commands = CommandSchemas.Runnable(CommandTree.Create(Context)).Select(CommandSchemas.NameOf).ToHashSet();
        Assert.All(CommandSchemas.Names.Where(n => n is not "common" and not "error"), name => Assert.Contains(name, commands));
    }

    [Theory]
    [InlineData("\"maxLeafTtl\": \"1.00:00:00\"")]
    [InlineData("\"leafGrace\":\"01:00:00\"")]
    [InlineData("\"x\": \"730.00:00:00\"")]
    public void The_duration_sweep_catches_dotnet_timespans(string json)
    {
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CommandSchemas.AssertNoDotNetDurations(json));
    }

    [Theory]
    [InlineData("\"maxLeafTtl\": \"P1D\"")]
    [InlineData("\"notAfter\": \"2036-11-29T03:11:05+00:00\"")]
    public void The_duration_sweep_passes_iso_durations_and_timestamps(string json) => CommandSchemas.AssertNoDotNetDurations(json);

    [Theory]
    [InlineData("inventory", "[{\"domain\": \"d\"}]")]
    [InlineData("error", "{\"error\": {\"exitCode\": 0, \"kind\": \"usage\", \"message\": \"x\"}}")]
    [InlineData("export-bundle", "{\"file\": \"f\", \"roots\": 1, \"extra\": 1}")]
    [InlineData("leaf-forget", "{\"domain\": \"d\", \"serial\": \"0a\", \"subject\": \"CN=x\", \"subjectAlternativeNames\": [], \"issuerId\": \"int-1\", \"notBefore\": \"yesterday\", \"notAfter\": \"2026-01-01T00:00:00Z\", \"outputPath\": \"p\", \"issuedAt\": \"2026-01-01T00:00:00Z\", \"forgottenAt\": null, \"forgottenBy\": null, \"version\": 1}")]
    [InlineData("status", "[{\"id\": \"rot-1\"}]")]
    public void The_schemas_refuse_what_is_not_their_shape(string schema, string json)
    {
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CommandSchemas.AssertValid(schema, json));
    }
}
