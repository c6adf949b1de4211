# Labels on discovered GoogleTest cases (read by ctest after the discovered list). `slow`: a
# minute or more in a release build and many times that under the sanitizers, so the sanitized
# build runs everything else (`ctest -LE slow`) and the release build runs all. The parameterized
# cases carry GoogleTest's "# GetParam()" note in their names.
foreach(backend cpu cuda)
  foreach(name
      Backends/Capacity.RetrievalCollapsesNearTheTheoreticalLoad
      Backends/ControlOutcomes.ParetoSweepTradesControlForStateCost
      Backends/ControlOutcomes.AMemoryIsForgottenPastTheBoundAndRecoveredWithinIt
      Backends/ControlOutcomes.ABatchSolvesEachProblemAsIfAlone
      Backends/ControlOutcomes.ANovelPatternIsRecordedWhenKAllowsAndNotWhenKIsTooSmall
      Backends/ControlOutcomes.ACueNearAStoredPatternIsRecognizedWithControlsLinearInItsDisplacement)
    set_tests_properties("${name}/${backend}  # GetParam() = ${backend}" PROPERTIES LABELS slow)
  endforeach()
endforeach()
set_tests_properties(StorageRuleCapacity.StorkeyAndPseudoInverseRetrieveWhereHebbHasCollapsed
                     PROPERTIES LABELS slow)
