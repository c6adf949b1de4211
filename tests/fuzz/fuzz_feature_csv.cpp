// libFuzzer target: read_feature_csv on arbitrary bytes.
#include "attractor/host/physical/physical_learning.hpp"
#include "fuzz_file.hpp"

ATTRACTOR_FUZZ_READER_CHECKED(attractor::read_feature_csv, table) {
  ATTRACTOR_FUZZ_CHECK(table.x.size() == static_cast<std::size_t>(table.count * table.features));
  ATTRACTOR_FUZZ_CHECK(table.labels.size() == static_cast<std::size_t>(table.count));
  ATTRACTOR_FUZZ_CHECK(table.class_names.size() == static_cast<std::size_t>(table.classes));
  for (const std::int32_t label : table.labels)
    ATTRACTOR_FUZZ_CHECK(label >= 0 && label < table.classes);
}
