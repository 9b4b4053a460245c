using Microsoft.Extensions.Options;
using Rotation.Core.Domain;

namespace Rotation.Core.Expiry;

/// <summary>Lets hosts fail at start-up (ValidateOnStart) on a bad expiry configuration, with the same message as <see cref="ExpiryPolicyOptions.Validate"/>.</summary>
public sealed class ExpiryPolicyOptionsValidator : IValidateOptions<ExpiryPolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, ExpiryPolicyOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (DomainException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
