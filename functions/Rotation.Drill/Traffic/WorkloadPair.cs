using Rotation.Drill.Workloads;

namespace Rotation.Drill.Traffic;

/// <summary>A client workload dialling a server workload.</summary>
public readonly record struct WorkloadPair(SimulatedWorkload Client, SimulatedWorkload Server);
