-- Referral uplift: referred customers against non-referred customers of the same acquisition month
-- (cohort_month: the month of the first interaction) and country — exact matching, strata with at
-- least one of each. The uplift is the average effect on the referred (ATT): the mean difference
-- within each stratum, weighted by its referred customers. Its variance uses each stratum's own
-- variances, pooled over the strata for a group with a single customer in the stratum; the
-- formula is in _advocacy.yml.
with customer_value as (
    select * from {{ ref('mart_customer_value') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

-- referred: named by a converted referral (as in mart_referral_value)
referred as (
    select distinct referred_customer_id as customer_id
    from {{ ref('fct_referrals') }}
    where is_converted
),

labelled as (
    select
        customer_value.customer_id,
        customer_value.cohort_month as acquisition_month,
        customers.country,
        referred.customer_id is not null as is_referred,
        -- retained: made a second completed order (the journey's retention stage)
        case when coalesce(customer_value.orders, 0) >= 2 then 1e0 else 0e0 end as retained,
        cast(coalesce(customer_value.revenue, 0) as double) as revenue,
        cast(coalesce(customer_value.contribution, 0) as double) as contribution,
        cast(coalesce(customer_value.predicted_clv, 0) as double) as predicted_clv
    from customer_value
    left join customers
        on customers.customer_id = customer_value.customer_id
    left join referred
        on referred.customer_id = customer_value.customer_id
),

customer_metrics as (
    select
        'retained' as metric,
        customer_id,
        acquisition_month,
        country,
        is_referred,
        retained as metric_value
    from labelled
    union all
    select
        'revenue' as metric,
        customer_id,
        acquisition_month,
        country,
        is_referred,
        revenue as metric_value
    from labelled
    union all
    select
        'contribution' as metric,
        customer_id,
        acquisition_month,
        country,
        is_referred,
        contribution as metric_value
    from labelled
    union all
    select
        'predicted_clv' as metric,
        customer_id,
        acquisition_month,
        country,
        is_referred,
        predicted_clv as metric_value
    from labelled
),

-- every referred customer, matched or not
referred_counts as (
    select
        metric,
        count(case when is_referred then 1 end) as referred_customers
    from customer_metrics
    group by metric
),

group_means as (
    select
        metric,
        acquisition_month,
        country,
        is_referred,
        count(*) as customers,
        avg(metric_value) as mean_value
    from customer_metrics
    where acquisition_month is not null
        and country is not null
    group by metric, acquisition_month, country, is_referred
),

group_spreads as (
    select
        group_means.metric,
        group_means.acquisition_month,
        group_means.country,
        group_means.is_referred,
        group_means.customers,
        group_means.mean_value,
        sum(
            (customer_metrics.metric_value - group_means.mean_value)
            * (customer_metrics.metric_value - group_means.mean_value)
        ) as squared_deviations
    from group_means
    inner join customer_metrics
        on customer_metrics.metric = group_means.metric
        and customer_metrics.acquisition_month = group_means.acquisition_month
        and customer_metrics.country = group_means.country
        and customer_metrics.is_referred = group_means.is_referred
    group by
        group_means.metric,
        group_means.acquisition_month,
        group_means.country,
        group_means.is_referred,
        group_means.customers,
        group_means.mean_value
),

-- strata with at least one referred and one non-referred customer
strata as (
    select
        referred_group.metric,
        referred_group.customers as referred_customers,
        referred_group.mean_value as referred_mean,
        referred_group.squared_deviations as referred_squared_deviations,
        control_group.customers as control_customers,
        control_group.mean_value as control_mean,
        control_group.squared_deviations as control_squared_deviations
    from group_spreads as referred_group
    inner join group_spreads as control_group
        on control_group.metric = referred_group.metric
        and control_group.acquisition_month = referred_group.acquisition_month
        and control_group.country = referred_group.country
        and not control_group.is_referred
    where referred_group.is_referred
),

-- each group's within-stratum variance pooled over the strata used (null without a degree of
-- freedom): the variance of a stratum with a single customer of the group
pooled as (
    select
        metric,
        count(*) as strata,
        cast(sum(referred_customers) as bigint) as matched_referred_customers,
        cast(sum(control_customers) as bigint) as matched_control_customers,
        case
            when sum(referred_customers) > count(*)
                then sum(referred_squared_deviations) / (sum(referred_customers) - count(*))
        end as referred_pooled_variance,
        case
            when sum(control_customers) > count(*)
                then sum(control_squared_deviations) / (sum(control_customers) - count(*))
        end as control_pooled_variance
    from strata
    group by metric
),

-- a stratum's own sample variance where it has two customers of the group, else the pooled one
stratum_variances as (
    select
        strata.metric,
        strata.referred_customers,
        strata.referred_mean,
        strata.control_customers,
        strata.control_mean,
        case
            when strata.referred_customers >= 2
                then strata.referred_squared_deviations / (strata.referred_customers - 1)
            else pooled.referred_pooled_variance
        end as referred_variance,
        case
            when strata.control_customers >= 2
                then strata.control_squared_deviations / (strata.control_customers - 1)
            else pooled.control_pooled_variance
        end as control_variance
    from strata
    inner join pooled
        on pooled.metric = strata.metric
),

-- ATT weights n1 / N1: var(referred mean) = Σ n1 s1² / N1²,
-- var(matched mean) = Σ n1² s0² / n0 / N1²
weighted as (
    select
        metric,
        sum(referred_customers * referred_mean) as referred_total,
        sum(referred_customers * control_mean) as matched_total,
        sum(referred_customers * referred_variance) as referred_variance_total,
        sum(
            cast(referred_customers * referred_customers as double) * control_variance
            / control_customers
        ) as matched_variance_total
    from stratum_variances
    group by metric
),

estimates as (
    select
        pooled.metric,
        pooled.strata,
        pooled.matched_referred_customers,
        pooled.matched_control_customers,
        weighted.referred_total / pooled.matched_referred_customers as referred_mean,
        weighted.matched_total / pooled.matched_referred_customers as matched_mean,
        weighted.referred_variance_total
        / (cast(pooled.matched_referred_customers as double) * pooled.matched_referred_customers)
            as referred_mean_variance,
        weighted.matched_variance_total
        / (cast(pooled.matched_referred_customers as double) * pooled.matched_referred_customers)
            as matched_mean_variance
    from pooled
    inner join weighted
        on weighted.metric = pooled.metric
),

intervals as (
    select
        estimates.*,
        estimates.referred_mean - estimates.matched_mean as uplift,
        sqrt(estimates.referred_mean_variance + estimates.matched_mean_variance)
            as uplift_standard_error,
        -- delta method for referred_mean / matched_mean − 1, the two means independent:
        -- sqrt(var(m1) + (m1 / m0)² var(m0)) / |m0|
        case
            when estimates.matched_mean != 0
                then sqrt(
                        estimates.referred_mean_variance
                        + (estimates.referred_mean / estimates.matched_mean)
                        * (estimates.referred_mean / estimates.matched_mean)
                        * estimates.matched_mean_variance
                    ) / abs(estimates.matched_mean)
        end as relative_uplift_standard_error
    from estimates
),

final as (
    select
        referred_counts.metric,
        referred_counts.referred_customers,
        coalesce(intervals.matched_referred_customers, 0) as matched_referred_customers,
        referred_counts.referred_customers
        - coalesce(intervals.matched_referred_customers, 0) as unmatched_referred_customers,
        coalesce(intervals.matched_control_customers, 0) as matched_control_customers,
        coalesce(intervals.strata, 0) as strata,
        intervals.referred_mean,
        intervals.matched_mean,
        intervals.uplift,
        intervals.uplift_standard_error,
        intervals.uplift - {{ var('referral_z') }} * intervals.uplift_standard_error
            as uplift_ci_low,
        intervals.uplift + {{ var('referral_z') }} * intervals.uplift_standard_error
            as uplift_ci_high,
        case
            when intervals.matched_mean != 0
                then intervals.uplift / intervals.matched_mean
        end as relative_uplift,
        case
            when intervals.matched_mean != 0
                then intervals.uplift / intervals.matched_mean
                    - {{ var('referral_z') }} * intervals.relative_uplift_standard_error
        end as relative_uplift_ci_low,
        case
            when intervals.matched_mean != 0
                then intervals.uplift / intervals.matched_mean
                    + {{ var('referral_z') }} * intervals.relative_uplift_standard_error
        end as relative_uplift_ci_high
    from referred_counts
    left join intervals
        on intervals.metric = referred_counts.metric
)

select * from final
