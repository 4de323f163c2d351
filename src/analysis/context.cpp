#include "analysis/context.h"

#include "lockdep/lockdep_layout.h"

namespace lockalias {

const ClassTable* AnalysisContext::classes() {
    if (!classes_read_) {
        classes_read_ = true;
        LayoutResult layout = load_lockdep_layout(t_);
        if (layout.layout) classes_ = std::make_shared<const ClassTable>(read_class_table(t_, *layout.layout));
        else error_ = layout.error;
    }
    return classes_.get();
}

AddressLocator& AnalysisContext::locator() {
    if (!locator_) locator_ = std::make_unique<AddressLocator>(t_);
    return *locator_;
}

ChosenSource& AnalysisContext::memory() {
    if (!memory_) memory_ = choose_dump_source(t_, policy_);
    return *memory_;
}

void AnalysisContext::use_memory(std::unique_ptr<DumpSource> source) {
    memory_.emplace();
    memory_->source = std::move(source);
}

}  // namespace lockalias
