using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Hosting;
using Rotation.Functions.Hosting;
using Rotation.Functions.Orchestrations;

var host = new HostBuilder()
    .ConfigureFunctionsWebApplication(worker => worker.ConfigureDurableWorker().AddTasks(DurableTasks.Register))
    .ConfigureServices((context, services) => services.AddRotationFunctions(context.Configuration))
    .Build();

await host.RunAsync();
