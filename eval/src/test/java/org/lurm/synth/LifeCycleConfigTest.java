package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class LifeCycleConfigTest {

    @Test
    void presetsAreValidAndOrderedBySize() {
        LifeCycleConfig tiny = LifeCycleConfig.tiny(), demo = LifeCycleConfig.demo(), bench = LifeCycleConfig.bench();
        assertTrue(tiny.users() * tiny.meanEventsPerUser() < demo.users() * demo.meanEventsPerUser());
        assertEquals(300_000, demo.users() * demo.meanEventsPerUser(), 1e-9);
        assertTrue(bench.users() * bench.meanEventsPerUser() >= 1e7);
        assertEquals(EventOrder.USER_TIME, demo.order());
        assertEquals(LifeCycleConfig.DEFAULT_START, demo.startEpochSecond());
        assertEquals(Math.round(5 * 365.25 * 86_400), demo.windowSeconds());
        assertEquals(demo.startEpochSecond() + demo.windowSeconds(), demo.endEpochSecond());
    }

    @Test
    void builderRoundTripsEveryField() {
        LifeCycleConfig c = LifeCycleConfig.builder().users(11).items(13).topics(5).topicGroups(3).years(2.5)
                .startEpochSecond(-1_000).meanEventsPerUser(7).activitySigma(0.3).minEventsPerUser(2).maxEventsPerUser(99)
                .medianLifeDays(10).lifeSigma(0.1).meanSessionEvents(2).sessionFocus(0.2).burstiness(0.4)
                .meanEventGapSeconds(5).zipfExponent(0.7).multiTopicRate(0.05).topicConcentration(2).drift(0.9)
                .attributeNoise(0.6).segmentTopicFraction(0.4).wordsPerTopic(3).sharedWords(0)
                .behaviourTypes(List.of(new BehaviourType("x", 1, 3f))).order(EventOrder.SHUFFLED).seed(-5).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(11, c.users());
        assertEquals(-5, c.seed());
        assertEquals(EventOrder.SHUFFLED, c.order());
        assertEquals(2, c.segmentTopicCount());
    }

    @Test
    void segmentSubsetIsNeverEmptyNorEverything() {
        LifeCycleConfig base = LifeCycleConfig.tiny();
        assertEquals(1, base.toBuilder().topics(2).topicGroups(2).segmentTopicFraction(0.01).build().segmentTopicCount());
        assertEquals(1, base.toBuilder().topics(2).topicGroups(2).segmentTopicFraction(0.99).build().segmentTopicCount());
        assertEquals(3, base.toBuilder().topics(10).segmentTopicFraction(0.3).build().segmentTopicCount());
    }

    @Test
    void badValuesNameTheirField() {
        List<Object[]> cases = new ArrayList<>();
        add(cases, "users", b -> b.users(0));
        add(cases, "topics", b -> b.topics(1));
        add(cases, "items", b -> b.items(3).topics(4).topicGroups(2));
        add(cases, "topicGroups", b -> b.topicGroups(1));
        add(cases, "topicGroups", b -> b.topics(4).topicGroups(5));
        add(cases, "years", b -> b.years(0));
        add(cases, "years", b -> b.years(101));
        add(cases, "years", b -> b.years(Double.NaN));
        add(cases, "startEpochSecond", b -> b.startEpochSecond(Long.MAX_VALUE - 10));
        add(cases, "meanEventsPerUser", b -> b.meanEventsPerUser(0.5));
        add(cases, "activitySigma", b -> b.activitySigma(-0.1));
        add(cases, "minEventsPerUser", b -> b.minEventsPerUser(0));
        add(cases, "maxEventsPerUser", b -> b.minEventsPerUser(10).maxEventsPerUser(9));
        add(cases, "medianLifeDays", b -> b.medianLifeDays(0));
        add(cases, "lifeSigma", b -> b.lifeSigma(Double.POSITIVE_INFINITY));
        add(cases, "meanSessionEvents", b -> b.meanSessionEvents(0.9));
        add(cases, "sessionFocus", b -> b.sessionFocus(1.1));
        add(cases, "burstiness", b -> b.burstiness(-1));
        add(cases, "meanEventGapSeconds", b -> b.meanEventGapSeconds(-1));
        add(cases, "zipfExponent", b -> b.zipfExponent(-0.5));
        add(cases, "multiTopicRate", b -> b.multiTopicRate(2));
        add(cases, "topicConcentration", b -> b.topicConcentration(0));
        add(cases, "drift", b -> b.drift(-0.01));
        add(cases, "attributeNoise", b -> b.attributeNoise(1.5));
        add(cases, "segmentTopicFraction", b -> b.segmentTopicFraction(1));
        add(cases, "wordsPerTopic", b -> b.wordsPerTopic(1));
        add(cases, "wordsPerTopic", b -> b.topics(1000).items(1000).wordsPerTopic(5000));
        add(cases, "sharedWords", b -> b.sharedWords(-1));
        add(cases, "behaviourTypes", b -> b.behaviourTypes(List.of()));
        add(cases, "behaviourTypes", b -> b.behaviourTypes(List.of(new BehaviourType("a", 0.5, 1f), new BehaviourType("b", 0.4, 1f))));
        add(cases, "duplicate type name 'a'", b -> b.behaviourTypes(List.of(new BehaviourType("a", 0.5, 1f), new BehaviourType("a", 0.5, 1f))));
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            UnaryOperator<LifeCycleConfig.Builder> f = (UnaryOperator<LifeCycleConfig.Builder>) c[1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.apply(LifeCycleConfig.builder()).build(),
                    "expected a failure for " + c[0]);
            assertTrue(e.getMessage().contains((String) c[0]), "message '" + e.getMessage() + "' does not name " + c[0]);
        }
        assertThrows(NullPointerException.class, () -> LifeCycleConfig.builder().order(null).build());
    }

    @Test
    void badBehaviourTypesNameTheType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BehaviourType("buy", 1.5, 1f));
        assertTrue(e.getMessage().contains("buy") && e.getMessage().contains("probability"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BehaviourType("buy", 0.5, Float.NaN));
        assertTrue(e.getMessage().contains("buy") && e.getMessage().contains("weight"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BehaviourType(" ", 0.5, 1f));
    }

    private static void add(List<Object[]> cases, String field, UnaryOperator<LifeCycleConfig.Builder> f) {
        cases.add(new Object[] {field, f});
    }
}
