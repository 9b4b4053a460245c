using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Rotation.Infra.OpenTelemetry;

/// <summary>Registers Rotation's meter, its refresher and the OpenTelemetry metrics pipeline (Azure Monitor when configured).</summary>
public static class TelemetryServiceCollectionExtensions
{
    public static IServiceCollection AddRotationTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RotationTelemetryOptions>()
            .Configure(o =>
            {
                configuration.GetSection(RotationTelemetryOptions.SectionName).Bind(o);
                o.ConnectionString ??= configuration[RotationTelemetryOptions.ConnectionStringSetting];
                o.AuthenticationString ??= configuration[RotationTelemetryOptions.AuthenticationStringSetting];
            })
            .ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<RotationTelemetryOptions>, RotationTelemetryOptionsValidator>();
        services.AddOptions<AzureMonitorExporterOptions>();
        services.TryAddSingleton<RotationMeter>();
        services.TryAddSingleton<EstateMetricsRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<EstateMetricsRefresher>());

        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(RotationMeter.MeterName);
            // The connection string decides at start whether anything is exported; read it the same way the options do.
            var connectionString = configuration.GetSection(RotationTelemetryOptions.SectionName)[nameof(RotationTelemetryOptions.ConnectionString)]
                ?? configuration[RotationTelemetryOptions.ConnectionStringSetting];
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                metrics.AddReader(sp => AzureMonitorReader(sp, connectionString));
            }
        });
        return services;
    }

    private static MetricReader AzureMonitorReader(IServiceProvider services, string connectionString)
    {
        var options = services.GetRequiredService<IOptions<RotationTelemetryOptions>>().Value;
        // AzureMonitorExporterOptions is an Azure.Core ClientOptions (retries, transport, offline storage): whatever
        // the host configured through services.Configure<AzureMonitorExporterOptions> applies, then the connection.
        var exporterOptions = services.GetRequiredService<IOptions<AzureMonitorExporterOptions>>().Value;
        exporterOptions.ConnectionString = connectionString;
        // Entra ingestion only when the authentication string asks for it; then the process's one TokenCredential
        // (the one the adapters share) when the host registered it.
        var credential = !EntraIngestion(options.AuthenticationString) ? null
            : services.GetService<TokenCredential>() ?? IngestionCredential(options.AuthenticationString);
        if (credential is not null)
        {
            exporterOptions.Credential = credential;
        }

        // The same reader AddAzureMonitorMetricExporter builds (Delta temporality, 60 s period), made here so the
        // credential comes from the host's services.
        return new PeriodicExportingMetricReader(new AzureMonitorMetricExporter(exporterOptions))
        {
            TemporalityPreference = MetricReaderTemporalityPreference.Delta,
        };
    }

    private static bool EntraIngestion(string? authenticationString) =>
        !string.IsNullOrWhiteSpace(authenticationString) && EntraAuthentication.TryParse(authenticationString, out _);

    private static ManagedIdentityCredential? IngestionCredential(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString) || !EntraAuthentication.TryParse(authenticationString, out var clientId))
        {
            return null;
        }

        return clientId is null
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}

/// <summary>Fails the host's start with every telemetry setting problem at once.</summary>
public sealed class RotationTelemetryOptionsValidator : IValidateOptions<RotationTelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, RotationTelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
