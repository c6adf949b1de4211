#include "attractor/core/activation.hpp"

#include "attractor/core/error.hpp"

namespace attractor::core {

ActivationKind parse_activation(const std::string& name, const std::string& what) {
  if (name == "sign") return ActivationKind::Sign;
  if (name == "tanh") return ActivationKind::Tanh;
  if (name == "logistic") return ActivationKind::Logistic;
  if (name == "linear") return ActivationKind::Linear;
  throw InputError(what + ": unknown activation '" + name +
                   "' (expected sign, tanh, logistic or linear)");
}

const char* to_string(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::Sign: return "sign";
    case ActivationKind::Tanh: return "tanh";
    case ActivationKind::Logistic: return "logistic";
    case ActivationKind::Linear: return "linear";
  }
  return "?";
}

}  // namespace attractor::core
