using Rotation.Core.Domain;

namespace Rotation.Core.Authorities;

/// <summary>
/// Trust domain names as SPIFFE and DNS both accept them: lowercase labels of letters, digits and hyphens,
/// separated by dots. The name ends up in certificate subjects, key names and SPIFFE ids, so it must be tame.
/// </summary>
public static class TrustDomainNames
{
    private const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    public static void Validate(string? name)
    {
        var problem = FindProblem(name);
        if (problem is not null)
        {
            throw new DomainException($"invalid trust domain name '{name}': {problem}; use a DNS-like name such as 'mesh.example.internal'");
        }
    }

    private static string? FindProblem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters";
        }

        if (name.Any(char.IsUpper))
        {
            return "it has uppercase letters";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0)
            {
                return "it has an empty label (a leading, trailing or double dot)";
            }

            if (label.Length > MaxLabelLength)
            {
                return $"label '{label}' is longer than {MaxLabelLength} characters";
            }

            if (!label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return $"label '{label}' has characters other than a-z, 0-9 and '-'";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"label '{label}' starts or ends with '-'";
            }
        }

        return null;
    }
}
