// The "Run repair steps" step of an emergency recovery (recovery.repair =
// true): while every service is stopped (after Clean, before Start), each
// service's [service.repair] steps run, service after service in start
// order, through CommandSteps. A failing step ends that service's repair
// (its later steps are not run) and makes this step a warning; the other
// services are still repaired, and every service is started in the next
// step as a recovery promises, so Verify tells whether the old code still
// runs. Every step run is an item of the recovery report.
#pragma once

#include "recovery/recoverystep.h"

#include <memory>

namespace lifeline {
class Fleet;
}

namespace lifeline::recovery {

struct RunContext;

std::unique_ptr<Step> makeRepairStep(RunContext &context);
// The dry run's list: one item per repair step of each service, in order.
QList<RecoveryItem> planRepairs(const Fleet &fleet);

} // namespace lifeline::recovery
