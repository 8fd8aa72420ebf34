# Shared compile settings: every Lifeline target links lifeline_build_cfg.
add_library(lifeline_build_cfg INTERFACE)
target_compile_features(lifeline_build_cfg INTERFACE cxx_std_20)
target_compile_definitions(lifeline_build_cfg INTERFACE
  QT_NO_CAST_FROM_ASCII
  QT_NO_CAST_TO_ASCII
  QT_NO_URL_CAST_FROM_STRING
  QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
  QT_NO_FOREACH
  QT_DISABLE_DEPRECATED_UP_TO=0x060400
  QT_USE_QSTRINGBUILDER
)
target_compile_options(lifeline_build_cfg INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
  $<$<BOOL:${LIFELINE_WERROR}>:-Werror>
)
