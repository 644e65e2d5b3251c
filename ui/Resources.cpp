// Q_INIT_RESOURCE must run outside any namespace; a static library's resources are not
// registered automatically, so the app and the tests call doppel::ui::initResources() once.
#include <QtGlobal>

static void initDoppelResources() {
    Q_INIT_RESOURCE(resources);
}

namespace doppel::ui {
void initResources() {
    initDoppelResources();
}
}  // namespace doppel::ui
