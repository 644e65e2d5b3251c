// OptionForm builds a widget per option of any schema and returns typed JSON that the schema
// accepts; setValues round-trips; fixed-on-resume options lock.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include <cmath>

#include "pipeline/ExtractStage.h"
#include "ui/OptionForm.h"

using namespace doppel;
using namespace doppel::ui;

class OptionFormTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void buildsTypedEditorsAndRoundTrips() {
        OptionSchema schema;
        schema.addBool("debug", false, "write debug images");
        schema.addInt("size", 256, 64, 1024, "aligned size").fixedOnResume().inGroup("Model");
        schema.addFloat("fps", 0.0, 0.0, 120.0, "frames per second");
        schema.addString("name", "default", "model name");
        schema.addChoice("face_type", "full", {"half", "full", "whole_face"}, "crop");
        OptionForm form(schema);
        QVERIFY2(form.values() == schema.defaults(),
                 qPrintable(QString::fromStdString((form.values()).dump())));
        QVERIFY(qobject_cast<QCheckBox*>(form.editorFor("debug")));
        QVERIFY(qobject_cast<QSpinBox*>(form.editorFor("size")));
        QVERIFY(qobject_cast<QDoubleSpinBox*>(form.editorFor("fps")));
        QVERIFY(qobject_cast<QLineEdit*>(form.editorFor("name")));
        QVERIFY(qobject_cast<QComboBox*>(form.editorFor("face_type")));
        QCOMPARE(qobject_cast<QSpinBox*>(form.editorFor("size"))->maximum(), 1024);

        QSignalSpy changed(&form, &OptionForm::valuesChanged);
        nlohmann::json wanted = {{"debug", true},
                                 {"size", 512},
                                 {"fps", 12.5},
                                 {"name", "lisa"},
                                 {"face_type", "whole_face"}};
        form.setValues(wanted);
        QVERIFY(changed.count() >= 5);
        QVERIFY2(form.values() == wanted,
                 qPrintable(QString::fromStdString((form.values()).dump())));
        QVERIFY2(schema.resolve(form.values()) == wanted,
                 qPrintable(QString::fromStdString((schema.resolve(form.values())).dump())));

        // Out-of-range values are clamped by the widget, so the schema still accepts them.
        form.setValues({{"size", 5000}});
        QCOMPARE(form.values()["size"].get<int>(), 1024);

        form.setResumeLocked(true);
        QVERIFY(!form.editorFor("size")->isEnabled());
        QVERIFY(form.editorFor("fps")->isEnabled());
    }

    // A learning rate: QDoubleSpinBox with fixed decimals turned the default 5e-05 into 1e-04
    // (what the studio then trained with).
    void keepsSmallFloatsExactAndStepsDecadeRangesByDoubling() {
        OptionSchema schema;
        schema.addFloat("lr", 5e-5, 1e-8, 1.0, "learning rate");
        schema.addFloat("power", 0.1, 0.0, 5.0, "a linear range");
        OptionForm form(schema);
        QCOMPARE(form.values()["lr"].get<double>(), 5e-5);
        QCOMPARE(form.values()["power"].get<double>(), 0.1);
        auto* lr = qobject_cast<QDoubleSpinBox*>(form.editorFor("lr"));
        QVERIFY(lr);
        QCOMPARE(lr->text(), QString("5e-05"));
        lr->stepBy(1);
        QCOMPARE(form.values()["lr"].get<double>(), 1e-4);
        lr->stepBy(-2);
        QCOMPARE(form.values()["lr"].get<double>(), 2.5e-5);
        form.setValues({{"lr", 3e-6}});
        QCOMPARE(form.values()["lr"].get<double>(), 3e-6);
        auto* power = qobject_cast<QDoubleSpinBox*>(form.editorFor("power"));
        power->stepBy(1);  // linear: + (5 - 0) / 100
        QVERIFY(std::abs(form.values()["power"].get<double>() - 0.15) < 1e-9);
        // Typed text is read as a number, in C locale, scientific notation included.
        lr->findChild<QLineEdit*>()->setText("7.5e-5");
        QVERIFY(lr->hasAcceptableInput());
        lr->interpretText();
        QCOMPARE(form.values()["lr"].get<double>(), 7.5e-5);
    }

    void worksForARealStageSchema() {
        OptionForm form(ExtractStage::optionSchema());
        for (const OptionSpec& spec : ExtractStage::optionSchema().specs())
            QVERIFY(form.editorFor(spec.key));
        nlohmann::json resolved = ExtractStage::optionSchema().resolve(form.values());
        QVERIFY2(resolved == ExtractStage::optionSchema().defaults(),
                 qPrintable(QString::fromStdString(resolved.dump())));
    }
};

QTEST_MAIN(OptionFormTest)
#include "test_option_form.moc"
