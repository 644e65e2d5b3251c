// FaceSortKeys on real faces: a blurred face scores lower than the sharp one, a turned head
// gets a larger yaw, and histogram ordering puts the look-alikes next to each other.
#include <QTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "faces/FaceSortKeys.h"
#include "support/TestSupport.h"

using namespace doppel;

class FaceSortKeysTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void blurScoreDropsWhenTheFaceIsBlurred() {
        cv::Mat face = cv::imread(test::dataFile("photos/grace_hopper.jpg").string());
        QVERIFY(!face.empty());
        cv::Mat blurred;
        cv::GaussianBlur(face, blurred, cv::Size(0, 0), 3.0);
        double sharp = blurScore(face), soft = blurScore(blurred);
        QVERIFY2(sharp > 3 * soft, qPrintable(QString("%1 vs %2").arg(sharp).arg(soft)));
        QCOMPARE(blurScore(cv::Mat()), 0.0);
    }

    void yawFollowsTheHeadTurn() {
        // A frontal face made of the generic model, then the same face with the nose shifted
        // sideways as a turned head shows it.
        std::vector<std::array<float, 2>> frontal(68, {200.f, 200.f});
        auto set = [&](int i, float x, float y) { frontal[size_t(i)] = {x, y}; };
        set(30, 200, 200);
        set(8, 200, 290);
        set(36, 140, 160);
        set(45, 260, 160);
        set(48, 160, 245);
        set(54, 240, 245);
        auto straight = headYawPitchDegrees(frontal, cv::Size(400, 400));
        QVERIFY2(std::abs(straight[0]) < 8, qPrintable(QString::number(straight[0])));
        auto turned = frontal;
        turned[30] = {235.f, 200.f};
        auto side = headYawPitchDegrees(turned, cv::Size(400, 400));
        QVERIFY2(std::abs(side[0]) > std::abs(straight[0]) + 10,
                 qPrintable(QString::number(side[0])));
        QVERIFY_THROWS_EXCEPTION(std::exception,
                                 headYawPitchDegrees({{1.f, 2.f}}, cv::Size(10, 10)));
    }

    void histogramOrderGroupsLookAlikes() {
        cv::Mat a = cv::imread(test::dataFile("photos/grace_hopper.jpg").string());
        cv::Mat b = cv::imread(test::dataFile("photos/lisa3.jpg").string());
        QVERIFY(!a.empty() && !b.empty());
        cv::Mat a2 = a.clone();
        cv::GaussianBlur(a, a2, cv::Size(3, 3), 0);
        cv::Mat b2;
        cv::flip(b, b2, 1);
        // Interleaved input: a, b, a', b'. Similar ones must end up adjacent.
        std::vector<std::vector<float>> h = {colorHistogram(a), colorHistogram(b),
                                             colorHistogram(a2), colorHistogram(b2)};
        QVERIFY(histogramSimilarity(h[0], h[2]) > histogramSimilarity(h[0], h[1]));
        QVERIFY(std::abs(histogramSimilarity(h[1], h[1]) - 1.0) < 1e-5);
        auto order = orderByHistogramSimilarity(h);
        QCOMPARE(order.size(), size_t(4));
        QCOMPARE(order[0], size_t(0));
        QCOMPARE(order[1], size_t(2));
    }
};

QTEST_MAIN(FaceSortKeysTest)
#include "test_face_sort_keys.moc"
