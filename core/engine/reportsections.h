// The diagnostic report's sections that come from the engine's parts:
// recurring errors (ErrorTracker), crash records (CrashStore) and alerts
// (AlertCenter). Each returns Markdown without its "## " heading
// (DiagnosticReport adds it), bounded: the top signatures per service, the
// newest records, the recent alerts.
#pragma once

#include "diagnostics/diagnosticreport.h"

namespace lifeline {

class Engine;

// Providers reading `engine` when the report is built, on its thread.
ReportProviders reportSections(const Engine &engine);

} // namespace lifeline
